/** A Mattermost id as Mattermost makes them: 26 lower-case letters and digits (docs/mattermost.md). */
export const MATTERMOST_ID = /^[a-z0-9]{26}$/
