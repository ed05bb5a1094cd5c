"""The floor: a bare Starlette app on uvicorn returning a fixed JSON body."""

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"botId":"ABCDEFGHIJ","botName":"Bench","botStatus":"Available"}'


async def fixed(request):
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST", "PUT"])])
