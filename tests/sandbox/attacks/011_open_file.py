# attack: read /etc/passwd with open()
# expect: compile
# reason: "open" is not allowed: scripts have no file access
class Script:
    def process_incoming_request(self, request):
        return open('/etc/passwd').read()
