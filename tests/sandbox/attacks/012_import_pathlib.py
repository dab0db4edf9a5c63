# attack: read files through pathlib
# expect: compile
# reason: import of "pathlib" is not allowed
import pathlib
class Script:
    def process_incoming_request(self, request):
        return pathlib.Path('/etc/passwd').read_text()
