# attack: mutate the request through a subclass's unbound dict.update
# expect: run
# reason: cannot be used unbound
class D(dict):
    pass
class Script:
    def process_incoming_request(self, request):
        D.update(request, {'content': {}})
