"""EstateDesk: a complaint and repair desk for property management that lives in Telegram."""
