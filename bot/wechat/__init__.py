"""The WeChat Official Account channel, on the same seam as the shell and the tests.

WeChat's callbacks become aiogram Updates for the one Dispatcher (inbound.py); the Bot API calls
the handlers make on a WeChat user's chat are rendered as WeChat messages (render.py) and sent
as a passive reply or through the customer-service API (session.py, api.py). Handlers and
content never know which channel a user is on: a WeChat user is a user id in its own range
(storage.wechat), and the channel session (channel.py) routes each call by that id.
"""
