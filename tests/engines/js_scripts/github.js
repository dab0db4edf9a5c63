/* GitHub → Rocket.Chat, in the style of the widely shared integration gists.
 * Handles push, pull_request and issues events; anything else is ignored.
 * Note the sloppy-mode habits kept on purpose: `msg`, `i`, `lines` are never declared.
 */
const MAX_COMMITS = 5;

function shortSha(sha) {
  return (sha || '').substring(0, 7);
}

const handlers = {
  push(content) {
    const branch = s.strRight(content.ref, 'refs/heads/');
    const repo = content.repository.full_name;
    lines = [];
    for (i = 0; i < content.commits.length && i < MAX_COMMITS; i++) {
      commit = content.commits[i];
      lines.push(`[${shortSha(commit.id)}](${commit.url}) ${s.truncate(s.trim(commit.message), 50)} - ${commit.author.name}`);
    }
    const more = content.commits.length > MAX_COMMITS ? `\n…and ${content.commits.length - MAX_COMMITS} more` : '';
    msg = `${content.pusher.name} pushed ${content.commits.length} commit${content.commits.length === 1 ? '' : 's'} to ${repo}:${branch}`;
    return {
      text: msg,
      attachments: [{ title: content.created ? 'New branch' : 'Commits', title_link: content.compare, text: lines.join('\n') + more, color: '#24292e' }],
    };
  },

  pull_request(content) {
    const pr = content.pull_request;
    const verb = pr.merged ? 'merged' : content.action;
    return {
      text: `Pull request #${content.number} ${verb} by ${pr.user.login}: [${pr.title}](${pr.html_url})`,
      attachments: [{
        title: `${pr.head.ref} → ${pr.base.ref}`,
        text: s.truncate(s.stripTags(pr.body || ''), 120),
        color: verb === 'opened' ? '#2cbe4e' : '#6f42c1',
        fields: [
          { title: 'Repository', value: content.repository.full_name, short: true },
          { title: 'Changed files', value: pr.changed_files, short: true },
        ],
      }],
    };
  },

  issues(content) {
    const { issue, action, sender } = content;
    return { text: `Issue #${issue.number} ${action} by ${sender.login}: [${issue.title}](${issue.html_url})` };
  },
};

class Script {
  process_incoming_request({ request }) {
    const event = request.headers['x-github-event'];
    const handler = handlers[event];
    if (!handler) {
      console.log(`ignoring GitHub event ${event}`);
      return { content: { text: `Unsupported GitHub event: ${event}` }, response: { ignored: true } };
    }
    const content = handler(request.content);
    return {
      content: {
        alias: 'GitHub',
        icon_url: 'https://github.githubassets.com/favicons/favicon.png',
        ...content,
      },
    };
  }
}
