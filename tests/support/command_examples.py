"""Each command with arguments that take it down its real path, as the console and language
tests send them; a command not listed here (a new one) is sent bare, and must still be
answered."""

EXAMPLES = {
    "subscribe": "/subscribe breadth silent cooldown 5",
    "unsubscribe": "/unsubscribe breadth",
    "alert": "/alert IWM/SPY crosses above 200d",
    "delete": "/delete 1",
    "backtest": "/backtest ^RUT record high",
    "chart": "/chart IWM/SPY",
    "mute": "/mute 2",
    "channel": "/channel add @rotation_daily",
}
