# attack: open files through io
# expect: compile
# reason: import of "io" is not allowed
import io
class Script:
    def process_incoming_request(self, request):
        return io.open('/etc/passwd').read()
