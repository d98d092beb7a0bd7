"""`make demo`: an ask/tell random search on a toy function, printing the best config."""

from tunesmith import AskTell, RandomSearch, choice, loguniform, randint


def toy_loss(lr: float, layers: int, act: str) -> float:
    penalty = {"relu": 0.0, "tanh": 0.1, "gelu": 0.05}[act]
    return (lr - 0.01) ** 2 * 1e4 + (layers - 3) ** 2 * 0.1 + penalty


space = {
    "lr": loguniform(1e-4, 1e-1),
    "layers": randint(1, 6),
    "act": choice(["relu", "tanh", "gelu"]),
}
at = AskTell(RandomSearch(space, metric="loss", random_seed=0))
for _ in range(100):
    trial = at.ask()
    at.tell(trial, {"loss": toy_loss(**trial.config)})
best = at.best()
loss = best.last_result["loss"]
print(f"best config after {len(at.trials)} trials: {best.config} (loss={loss:.4f})")
