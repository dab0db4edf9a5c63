// Alertmanager → chat message with one attachment per alert (benchmark scenario "js"),
// written as a Rocket.Chat incoming-webhook script.
const COLORS = { firing: '#d62728', resolved: '#2ca02c' };

class Script {
  process_incoming_request({ request }) {
    const body = request.content;
    const status = body.status || 'unknown';
    const labels = body.commonLabels || {};
    const annotations = body.commonAnnotations || {};
    const alerts = body.alerts || [];
    const name = labels.alertname || 'alert';
    const fields = alerts.map((alert) => {
      const alertLabels = alert.labels || {};
      const notes = alert.annotations || {};
      return {
        title: alertLabels.host || alertLabels.instance || name,
        value: notes.description || notes.summary || '',
        short: true,
      };
    });
    return {
      content: {
        text: `${name} is ${status} on ${alerts.length} target(s), severity ${labels.severity || 'none'}`,
        attachments: [{
          title: `[${status.toUpperCase()}:${alerts.length}] ${name}`,
          title_link: body.externalURL,
          text: annotations.summary || '',
          color: COLORS[status] || '#888888',
          fields,
        }],
      },
    };
  }
}
