from otter.test_files import test_case

OK_FORMAT = False

name = "principal_components"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_principal_components_basics(principal_components, axes, explained):
    import numpy as np
    from rnncourse.course.kernel.checks import close
    axes, explained = (np.asarray(axes), np.asarray(explained))
    assert axes.shape == (3, 100) and explained.shape == (3,), 'the first 3 axes of 100 units: axes (3, 100), explained (3,)'
    close(axes @ axes.T, np.eye(3), 'the axes should be orthonormal rows', rtol=1e-05, atol=1e-05)

