from otter.test_files import test_case

OK_FORMAT = False

name = "trained_adder"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_training_recorded_the_costs(ls_of_costs, nb_epochs, nb_train, mb_size):
    want = 1 + nb_epochs * (nb_train // mb_size)
    assert len(ls_of_costs) == want, f'ls_of_costs should hold the first cost and one per update: {want} values, not {len(ls_of_costs)}'
    assert ls_of_costs[-1] < ls_of_costs[0], 'the cost should have gone down during training'

