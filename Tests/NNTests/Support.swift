import TestSupport

/// Golden files written by Tools/fixtures/make_nn_fixtures.py and make_recurrent_fixtures.py (PyTorch 2.15).
let fixtures = FixtureFolder(besides: #filePath)
