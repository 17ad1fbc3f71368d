package sqlite

// PurgeBatch is the most rows one purge statement deletes (tests only).
const PurgeBatch = purgeBatch
