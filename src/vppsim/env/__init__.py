"""The VPP agent environment: settlement (:mod:`.settlement`), the fleet simulator
(:mod:`.simulator`) and the Gymnasium environment ``vppsim/VPP-v0`` (:mod:`.gym`),
registered when this package is imported (Gymnasium 1.x has no plugin entry points:
``import vppsim.env`` first, or ``gymnasium.make("vppsim.env:vppsim/VPP-v0")``)."""

import gymnasium

ENV_ID = "vppsim/VPP-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="vppsim.env.gym:make_env")
