/* `ordercam-central user ...`: named accounts on the command line
 * (docs/central.md, "Accounts"). */
#ifndef OC_USERS_H
#define OC_USERS_H

/* argv[0] is "user"; returns the process's exit status (0 ok, 1 failed,
 * 2 usage). Messages go to stderr, a made-up password to stdout. */
int oc_users_main(int argc, char **argv);

#endif
