import TestSupport

/// Golden files written by Tools/fixtures/make_nn_fixtures.py (PyTorch 2.15).
let fixtures = FixtureFolder(besides: #filePath)
