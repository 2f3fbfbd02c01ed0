"""Every domain's models on one metadata, for Alembic and the schema tests.

`from reviewer.models import metadata`: `reviewer.orm.Base.metadata` once every
model module below has registered its tables on it. Import each model class
from its own domain (`reviewer.drafting.models`, ...), not from here.
"""

from reviewer.accounts import models as accounts
from reviewer.api import models as api
from reviewer.audit import models as audit
from reviewer.drafting import models as drafting
from reviewer.notify import models as notify
from reviewer.orgs import models as orgs
from reviewer.orm import Base
from reviewer.review import models as review

MODEL_MODULES = (accounts, api, audit, drafting, notify, orgs, review)
metadata = Base.metadata
