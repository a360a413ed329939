"""The yardstick for ``make bench``: the smallest Flask app, served the same way as Mitreden."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
