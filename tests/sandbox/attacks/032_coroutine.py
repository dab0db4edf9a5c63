# attack: define a coroutine to reach cr_frame
# expect: compile
# reason: AsyncFunctionDef statements are not allowed
async def c():
    pass
class Script:
    def process_incoming_request(self, request):
        return c().cr_frame
