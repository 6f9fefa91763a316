import TestSupport

/// Image files and the metrics pytorch-fid and torchvision compute from them (Tools/fixtures/make_metrics_pipeline_fixtures.py).
let fixtures = FixtureFolder(besides: #filePath)
