"""Local stand-ins for the platforms this machine cannot reach, and the synthetic world behind them."""
