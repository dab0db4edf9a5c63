# attack: fork with multiprocessing
# expect: compile
# reason: import of "multiprocessing" is not allowed
import multiprocessing
class Script:
    def process_incoming_request(self, request):
        return 1
