from otter.test_files import test_case

OK_FORMAT = False

name = "xor_trained"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_training_ran(losses):
    assert isinstance(losses, list) and len(losses) > 1, 'losses should be the list that train returns'
    assert losses[-1] < losses[0], 'the loss should have gone down during training'

