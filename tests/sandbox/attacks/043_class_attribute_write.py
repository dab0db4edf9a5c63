# attack: change a class defined elsewhere (dict.update unbound)
# expect: run
# reason: cannot be used unbound
class Script:
    def process_incoming_request(self, request):
        dict.update(request, {'content': {}})
        return request
