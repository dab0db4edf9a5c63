"""Written for hookhub's tests: an outgoing Python script that asks a deploy service."""


class Script:
    def prepare_outgoing_request(self, request):
        if not request.data.text.startswith("!deploy "):
            return None
        return {"url": request.url, "method": "POST",
                "data": {"service": request.data.text.split(" ", 1)[1], "by": request.data.user_name}}

    def process_outgoing_response(self, request, response):
        if response.status_code == 202:
            return {"content": {"text": "deploy queued: " + response.content["id"]}}
        return False
