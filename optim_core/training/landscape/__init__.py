"""A trained network's loss landscape: the lanes' weight paths, planes through them, the loss on a grid."""
