import TestSupport

/// Golden files written by Tools/fixtures/make_tensor_fixtures.py (PyTorch / NumPy), read with the
/// safetensors reader (which has its own tests against hand-built bytes).
let fixtures = FixtureFolder(besides: #filePath)
