"""The rule catalogue: what each requirement checks, declared apart from how it is run.

`model` defines a rule, its scope, the features it reads and the catalogue that
holds them; `features` computes the per-request facts (member and admin state,
open orders, usable vouchers); `phrasing` turns values and parameters into
sentences; `pob` declares the 13 pay-on-behalf rules as the catalogue `POB`.
"""
