import pytest

from cms.demo import build_site


@pytest.fixture
def site(db):
    """The demo public site (Chinese and English trees) as the default Wagtail Site."""
    return build_site()
