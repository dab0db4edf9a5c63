# attack: call HTTP() without an egress policy
# expect: run
# reason: NameError: name 'HTTP' is not defined
class Script:
    def process_incoming_request(self, request):
        return HTTP('GET', 'http://127.0.0.1/')
