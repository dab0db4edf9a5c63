# attack: fill the empty object hookkit.obj returns, hoping it is shared
# expect: ok
import hookkit
class Script:
    def process_incoming_request(self, request):
        empty = hookkit.obj(None)
        empty['poison'] = True
        hookkit.objs(None).append({'poison': True})
        hookkit.message('x')['content']['poison'] = True
        return {'content': {'text': str(hookkit.obj(None))}}
