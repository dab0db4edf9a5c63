# attack: recurse without end
# expect: run
# reason: RecursionError
class Script:
    def process_incoming_request(self, request):
        def f(n):
            return f(n + 1)
        return f(0)
