DROP TRIGGER users_feed_notify ON public.users;
DROP TRIGGER activities_feed_notify ON public.activities;
DROP FUNCTION public.cruddur_feed_notify();
