import TestSupport

/// Files written by Python (pickle, NumPy, torch.save, safetensors) in Tools/fixtures/make_interop_fixtures.py and
/// make_tensor_fixtures.py, with the values they hold recorded beside them.
let fixtures = FixtureFolder(besides: #filePath)
