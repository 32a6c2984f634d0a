/* placeholder: being written */
#include "test_support.h"
int main(void) { return 77; }
