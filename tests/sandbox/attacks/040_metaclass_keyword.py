# attack: declare a metaclass
# expect: compile
# reason: The keyword argument "metaclass" is not allowed
class M(metaclass=dict):
    pass
class Script:
    def process_incoming_request(self, request):
        return 1
