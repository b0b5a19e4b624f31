/* berth: the engine CLI (not written yet). */
int main(void)
{
	return 1;
}
