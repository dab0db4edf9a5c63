// Grafana alerting → Rocket.Chat; handles unified (v9+) and legacy alert payloads.
class Script {
  process_incoming_request({ request }) {
    const body = request.content;
    if (body.alerts) {
      return this.unified(body);
    }
    return this.legacy(body);
  }

  unified(body) {
    const firing = body.alerts.filter((a) => a.status === 'firing');
    const color = body.status === 'firing' ? '#d44a3a' : '#36a64f';
    const attachments = body.alerts.map((alert) => {
      // "[ var='B' labels={...} value=17 ]" → 17 (named group + lookbehind)
      const value = alert.valueString?.match(/(?<=value=)(?<num>[\d.]+)/)?.groups?.num;
      return {
        title: `${alert.labels.alertname}${alert.labels.instance ? ' on ' + alert.labels.instance : ''}`,
        title_link: alert.generatorURL || undefined,
        text: alert.annotations?.summary ?? '',
        color,
        fields: value !== undefined ? [{ title: 'Value', value: Number(value), short: true }] : undefined,
      };
    });
    return {
      content: {
        alias: 'Grafana',
        text: `${body.status === 'firing' ? ':fire:' : ':white_check_mark:'} ${firing.length} firing / ${body.alerts.length} alerts (${body.status})`,
        attachments,
      },
    };
  }

  legacy(body) {
    const matches = (body.evalMatches || []).map(({ metric, value }) => `${metric}: ${s.numberFormat(value, 1)}`);
    return {
      content: {
        alias: 'Grafana',
        text: `${body.title}\n${body.message || ''}`.trim(),
        attachments: [{
          title: body.ruleName,
          title_link: body.ruleUrl,
          image_url: body.imageUrl,
          text: matches.join('\n'),
          color: body.state === 'ok' ? '#36a64f' : '#d44a3a',
        }],
      },
    };
  }
}
