# attack: run a program through subprocess
# expect: compile
# reason: import of "subprocess" is not allowed
from subprocess import run
class Script:
    def process_incoming_request(self, request):
        run(['id'])
