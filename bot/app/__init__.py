"""The running bot: the Telegram Application, its handlers and jobs, update order, flood
control, monitoring and the webhook server."""

__all__: list[str] = []
