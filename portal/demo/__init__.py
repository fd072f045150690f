"""Demo data: the two conventions of ``shared/seeds/`` and one user per role.

Everything is looked up by a natural key and created only when missing: running
the seed twice changes nothing, and on a database that already holds other data
it neither modifies, duplicates nor deletes anything (it only adds what the
demo lacks). Facts come from the two texts (signature on 15 December 2021,
Xavier Renier and Charlotte Hubert-Boyer for the Caf de Tarn-et-Garonne, the 17
communes of the communauté de communes, the Sorbiers operational committee with
three elected officials, the DGS and the head of the Enfance jeunesse éducation
service facing four Caf staff); everything else (figures, fiches, people other
than those named in the texts) is plausible but invented for the demonstration.

One module per demo convention (``qrga``, ``sorbiers``), one for the accounts
(``accounts``), the toolkit they are written with (``builder``) and the seeder
that runs them (``seeder``).
"""

from .accounts import DEMO_PASSWORD
from .builder import DemoLogin, SeedResult
from .qrga import QRGA_NAME
from .seeder import seed_demo
from .sorbiers import SORBIERS_NAME

__all__ = ["DEMO_PASSWORD", "QRGA_NAME", "SORBIERS_NAME", "DemoLogin", "SeedResult", "seed_demo"]
