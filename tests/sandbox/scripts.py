"""Scripts the sandbox tests share."""

#: counts its calls in the instance (kept between calls) and ``request.content.n`` in the Store
COUNTER = """
class Script:
    def __init__(self):
        self.calls = 0

    def process_incoming_request(self, request):
        self.calls += 1
        total = (Store.get('total') or 0) + (request.content.n or 0)
        Store.set('total', total)
        console.log('call', self.calls)
        return {'calls': self.calls, 'total': total}
"""
