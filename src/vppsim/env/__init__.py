"""The VPP agent environment: settlement (:mod:`.settlement`), the fleet simulator
(:mod:`.simulator`) and the Gymnasium environment ``vppsim/VPP-v0`` (:mod:`.gym`; its
native vector env :mod:`.vector` for ``gymnasium.make_vec(ENV_ID, num_envs=K,
vectorization_mode="vector_entry_point")``), registered when this package is imported
(Gymnasium 1.x has no plugin entry points: ``import vppsim.env`` first, or
``gymnasium.make("vppsim.env:vppsim/VPP-v0")``)."""

import gymnasium

ENV_ID = "vppsim/VPP-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(
        id=ENV_ID,
        entry_point="vppsim.env.gym:make_env",
        vector_entry_point="vppsim.env.vector:make_vector_env",
    )
