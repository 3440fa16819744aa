"""The framework's own ceiling: a bare Flask app whose one route returns a short fixed page."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><html lang=en><title>ok</title><p>Hello from a bare Flask app.</p></html>"


@app.get("/")
def index():
    return PAGE
