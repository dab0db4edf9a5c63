# attack: smuggle code into an annotation string that singledispatch evals
# expect: run
# reason: Invalid first argument to `register()`
import functools
class Script:
    def process_incoming_request(self, request):
        @functools.singledispatch
        def f(x):
            return 'base'
        def g(x: "().__class__.__base__.__subclasses__()"):
            return 'escaped'
        f.register(g)
        return f(1)
