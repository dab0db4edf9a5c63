// GitLab → Rocket.Chat (merge requests, pushes, pipelines), gist style.
const STATE_COLORS = { opened: '#1aaa55', merged: '#1f78d1', closed: '#db3b21' };

const userLink = (user) => `[${user.name}](${user.avatar_url || ''})`;

const describe = {
  merge_request: (data) => {
    const mr = data.object_attributes;
    const labels = _.pluck(data.labels || [], 'title');
    return {
      text: `${data.user.name} ${mr.action === 'open' ? 'opened' : mr.action} merge request !${mr.iid} in ${data.project.path_with_namespace}`,
      attachments: [{
        title: mr.title,
        title_link: mr.url,
        text: `\`${mr.source_branch}\` → \`${mr.target_branch}\`` + (labels.length ? `\nLabels: ${labels.join(', ')}` : ''),
        color: STATE_COLORS[mr.state] ?? '#999999',
      }],
    };
  },
  push: (data) => {
    const branch = s.strRightBack(data.ref, '/');
    const commits = _.map(data.commits, (c) => `- [${c.id.slice(0, 8)}](${c.url}) ${s.trim(c.message)} (${c.author.name})`);
    return {
      text: `${data.user_name} pushed ${data.total_commits_count} commits to [${data.project.path_with_namespace}](${data.project.web_url}) branch \`${branch}\``,
      attachments: [{ text: commits.join('\n') }],
    };
  },
  pipeline: ({ object_attributes: p, project }) => ({
    text: `Pipeline #${p.id} ${p.status} on ${project.path_with_namespace} (${p.ref})`,
  }),
};

class Script {
  process_incoming_request({ request }) {
    const kind = request.content.object_kind;
    if (!(kind in describe)) {
      return { error: { success: false, message: `unsupported GitLab event ${kind}` } };
    }
    const token = request.headers['x-gitlab-token'];
    if (token !== undefined && token !== 'expected-secret') {
      return { error: 'invalid X-Gitlab-Token' };
    }
    return { content: { alias: 'GitLab', emoji: ':gitlab:', ...describe[kind](request.content) } };
  }
}
