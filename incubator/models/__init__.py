"""Incubator models, one module per area. Import them from here: ``from incubator.models import X``.

Each module lists its public models in ``__all__``.
"""

from incubator.models.incubation import *  # noqa: E402, F403
from incubator.models.organisations import Community, Organisation
from incubator.models.people import *  # noqa: E402, F403
from incubator.models.proposals import *  # noqa: E402, F403
from incubator.models.resources import *  # noqa: E402, F403
from incubator.models.vault import *  # noqa: E402, F403, I001
from incubator.models.volunteers import *  # noqa: E402, F403

__all__ = ["Community", "Organisation"]  # extended by the star imports' own __all__
