"""JAX bridge: ``capture_jax`` (a function's jaxpr as a Graph, with every value and gradient) in
``capture``, ``compare_with_jax`` (a gradviz expression checked against jax.numpy) in ``compare``.
Neither module imports jax until called, so ``import gradviz`` works without it."""
