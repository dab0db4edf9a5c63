# attack: read __context__ of an exception
# expect: compile
# reason: "__context__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        try:
            1 / 0
        except Exception as e:
            return e.__context__
