# attack: load ctypes to call libc
# expect: compile
# reason: import of "ctypes" is not allowed
import ctypes
class Script:
    def process_incoming_request(self, request):
        return ctypes.CDLL(None).system(b'id')
