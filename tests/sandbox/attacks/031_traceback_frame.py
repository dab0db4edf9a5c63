# attack: climb through an exception's __traceback__
# expect: compile
# reason: "__traceback__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        try:
            1 / 0
        except Exception as e:
            return e.__traceback__.tb_frame
