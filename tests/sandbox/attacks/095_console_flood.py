# attack: flood the log
# expect: ok
class Script:
    def process_incoming_request(self, request):
        for i in range(100000):
            console.log('x' * 100)
        return {'content': {'text': 'done'}}
